export { type FakeOldApp, type FakeOldAppReply, startFakeOldApp } from './fake-old-app.js';
