// Bundled and evaluated inside XS by test/firmware/xs-engine.test.ts.
import { report } from '../../xs/report';
import { runDeviceScenario } from './scenario';

report(runDeviceScenario());
