// Proves the XS harness surfaces failures: this script throws inside the engine.
import { deriveKey } from '../../shared/index';

deriveKey('too short');
