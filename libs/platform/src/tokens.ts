// Injection tokens every service uses for its validated config and its logger.
export const CONFIG = Symbol('CONFIG');
export const LOGGER = Symbol('LOGGER');
export const REDIS = Symbol('REDIS');
/** Connections a service holds but can serve without (not in its readiness): e.g. ['redis']. */
export const NOT_REQUIRED_FOR_READINESS = Symbol('NOT_REQUIRED_FOR_READINESS');
