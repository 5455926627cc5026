// Nothing global to start for the unit suites; integration suites start their own servers
// (see test/services.ts). Kept as the one place to add such set-up.
module.exports = async () => {};
