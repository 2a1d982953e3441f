// Preloaded by `node --import` in the docs tests: report each fetch answer on stderr,
// as `::status <code>`, so a test can check a sample's statuses without changing it.
const original = globalThis.fetch;
globalThis.fetch = async (...args) => {
  const response = await original(...args);
  process.stderr.write(`::status ${response.status}\n`);
  return response;
};
