// Load data for a screen: the value, the error message, and a reload after a change. A stale answer (the
// inputs changed meanwhile) is dropped.
import { useCallback, useEffect, useRef, useState } from 'react';
import { messageOf } from '../api';

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const run = useCallback(load, deps);
  const reload = useCallback(() => {
    const mine = ++generation.current;
    setLoading(true);
    run().then(
      (v) => {
        if (mine !== generation.current) return;
        setValue(v);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (mine !== generation.current) return;
        setError(messageOf(err));
        setLoading(false);
      },
    );
  }, [run]);
  useEffect(reload, [reload]);
  return { value, error, loading, reload };
}
