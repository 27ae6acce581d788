// Preloaded into every server under test (with --expose-gc): SIGUSR2 runs a full garbage collection,
// so that each server's RSS is read with its garbage gone, the same way for all of them.
process.on('SIGUSR2', () => {
  globalThis.gc();
  globalThis.gc();
});
