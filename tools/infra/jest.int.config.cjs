// tools/infra's own integration tests start their services on free ports under a temporary repo root; they need
// neither the run's shared Kafka and MySQL nor its sweep, so the harness's global setup and teardown are left out.
const config = require('../../jest.preset.cjs')(__dirname, 'integration');
delete config.globalSetup;
delete config.globalTeardown;
module.exports = config;
