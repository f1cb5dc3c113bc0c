export * from './errors.js';
export { readSeedDir, readSeedImage, writeSeedImage, findSeedDevices, installSeedDir, SEED_FILES, SEED_DIR_IN_VAR, SEED_LABELS, type LoadedSeed, type SeedImageFormat } from './seed-source.js';
export { provision, targetPath, type ProvisionTarget, type ProvisionOptions, type ProvisionOutcome, type RenderedUnit } from './apply.js';
export { readProvisionRecord, provisionStatePath, PROVISION_STATE_DIR, type ProvisionRecord } from './state.js';
export { provisionUnitText, PROVISION_UNIT_NAME } from './unit.js';
