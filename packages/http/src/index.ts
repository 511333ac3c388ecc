export { expressServerOptions, type ExpressPrototypes } from './express-server';
