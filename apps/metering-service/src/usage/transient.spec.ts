import { isTransientDbError } from './transient.js';

it('tells an unreachable or busy database from a failure retrying cannot fix', () => {
  const transient = [
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    new Error('Connection terminated unexpectedly'),
    Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
    Object.assign(new Error('sorry, too many clients already'), { code: '53300' }),
    Object.assign(new Error('deadlock detected'), { code: '40P01' }),
    // TypeORM's QueryFailedError keeps the driver's error.
    Object.assign(new Error('query failed'), { driverError: { code: '08006', message: 'x' } }),
  ];
  const permanent = [
    Object.assign(new Error('numeric field overflow'), { code: '22003' }),
    Object.assign(new Error('invalid input syntax for type uuid'), { code: '22P02' }),
    Object.assign(new Error('violates check constraint'), { code: '23514' }),
    Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }),
    new TypeError('cannot read properties of undefined'),
    undefined,
  ];
  for (const e of transient) expect([e, isTransientDbError(e)]).toEqual([e, true]);
  for (const e of permanent) expect([e, isTransientDbError(e)]).toEqual([e, false]);
});
