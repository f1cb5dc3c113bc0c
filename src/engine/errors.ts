import { defineError } from '../core/index.js';

export const NoSuchContainer = defineError<{ ref: string }>('ENGINE_NO_SUCH_CONTAINER', 'not-found');
export const NoSuchImage = defineError<{ ref: string }>('ENGINE_NO_SUCH_IMAGE', 'not-found');
export const NoSuchExec = defineError<{ id: string }>('ENGINE_NO_SUCH_EXEC', 'not-found');
export const AmbiguousRef = defineError<{ ref: string }>('ENGINE_AMBIGUOUS_REF', 'invalid-argument');
export const NameInUse = defineError<{ name: string; id: string }>('ENGINE_NAME_IN_USE', 'conflict');
export const InvalidName = defineError<{ name: string }>('ENGINE_INVALID_NAME', 'invalid-argument');
export const ContainerRunning = defineError<{ id: string }>('ENGINE_CONTAINER_RUNNING', 'conflict');
export const ContainerNotRunning = defineError<{ id: string }>('ENGINE_NOT_RUNNING', 'conflict');
export const NoCommand = defineError<{ image: string }>('ENGINE_NO_COMMAND', 'invalid-argument');
export const InvalidOption = defineError<{ option: string; value: string }>('ENGINE_INVALID_OPTION', 'invalid-argument');
export const StartFailed = defineError<{ id: string }>('ENGINE_START_FAILED', 'internal');
export const LabelMissing = defineError<{ image: string; label: string }>('ENGINE_LABEL_MISSING', 'not-found');
