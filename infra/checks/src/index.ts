export { envVarsOf, type AppName } from './app-config';
export { familyOf, parseExposition, type Exposition } from './exposition';
export { schemaErrors, unknownFieldErrors } from './k8s-validate';
export { renderKustomization, strategicMerge, type K8sObject } from './kustomize';
export { allPromQueries, loadAlertRules, loadDashboards, type AlertRule, type Dashboard } from './monitoring';
export { checkPromQL, substituteGrafanaVariables, type PromQLCheck, type SelectorUse } from './promql';
export { ROOT, repoPath } from './paths';
