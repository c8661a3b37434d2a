// The config's conventional file name, in a module of its own so the CLI can name it without loading the validator.
export const DEFAULT_CONFIG_FILE = 'mta-sts.config.yaml';
