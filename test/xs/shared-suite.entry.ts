// Bundled and evaluated inside XS by test/shared/xs-engine.test.ts.
import { report } from './report';
import { runSharedSuite } from './shared-suite';

report(runSharedSuite());
