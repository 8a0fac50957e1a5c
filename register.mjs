// `node --import kontext/register app.mjs`: lets Node load kontext's TypeScript source (its library and CLI are
// .ts files) through tsx, one of kontext's dependencies, so an app needs no TypeScript set-up of its own.
import { register } from 'tsx/esm/api';

register();
