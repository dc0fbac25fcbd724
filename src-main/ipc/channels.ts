// IPC channel names, shared by the main-side handlers and the preload. Imports nothing.
export const CALL_CHANNEL_PREFIX = 'workbench:call:';
export const SUBSCRIBE_CHANNEL = 'workbench:subscribe-run-events';
export const UNSUBSCRIBE_CHANNEL = 'workbench:unsubscribe-run-events';
export const EVENT_CHANNEL = 'workbench:run-event';
