// The first replica of each shard stopped and started again while 50 matches play (pnpm test:cluster).
import { scaleOutSuite } from './scale-out.scenario';

scaleOutSuite('replicas');
