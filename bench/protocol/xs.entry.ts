// Runs inside XS (xsnap): the parent timestamps the two messages, XS itself has no usable clock.
import { report } from '../../test/xs/report';
import { sealOpenPairs } from './workload';

declare const BENCH_PAIRS: number;

sealOpenPairs(20); // warm-up
report({ phase: 'start' });
const checksum = sealOpenPairs(BENCH_PAIRS);
report({ phase: 'end', checksum });
