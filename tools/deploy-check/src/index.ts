// Readers of docker/ and k8s/ for tests: the deployment checks of this project, and each app's deployment spec,
// which feeds what every deployment sets to the app's own config loader.
export {
  type AppRun,
  appRuns,
  composeRuns,
  durationSeconds,
  isAppService,
  k8sRender,
  k8sRuns,
  objectData,
  parseAppCommand,
  type Probe,
  recordingEnv,
  runFiles,
  runtimeImage,
  workloads,
} from './deployments';
export { argv, type ComposeFile, type ComposeService, dependsOn, loadCompose, serviceEnv } from './compose';
export { type K8sObject } from './kustomize';
export type { Container, PodSpec, Workload } from './k8s-types';
export { type AppName, APPS, ROOT } from './paths';
