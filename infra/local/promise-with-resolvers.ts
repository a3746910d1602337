/**
 * aws-local-stepfunctions calls Promise.withResolvers (Node 22). npm scripts run on the
 * project's Node 22, but a developer may run the runtime with a system Node 20; this
 * three-line polyfill keeps Map/Choice/Retry working there (infra/local/README.md).
 */
const PromiseWithResolvers = Promise as unknown as { withResolvers?: () => unknown };
PromiseWithResolvers.withResolvers ??= function withResolvers<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};
export {};
