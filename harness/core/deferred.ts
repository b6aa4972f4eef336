/** A promise settled from outside; rejections are pre-handled so an unused one never crashes the run. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
  settled: boolean;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  const result: Deferred<T> = {
    promise,
    settled: false,
    resolve: (value) => {
      if (result.settled) return;
      result.settled = true;
      resolve(value);
    },
    reject: (error) => {
      if (result.settled) return;
      result.settled = true;
      reject(error);
    },
  };
  return result;
}
