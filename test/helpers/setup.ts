// Runs before every test file: keeps tests off the network and quiet.
process.env.LOG_LEVEL ??= 'silent';
