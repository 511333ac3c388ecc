// Three consumers on one group, one killed and another started mid-run (issue: consumers scale out too).
import { scaleOutSuite } from './scale-out.scenario';

scaleOutSuite('consumers');
