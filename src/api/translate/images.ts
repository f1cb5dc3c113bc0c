/** Image records → Docker ImageSummary / ImageInspect / history JSON. */
import type { ImageHistoryEntry, ImageRecord } from '../backend.js';

export function toImageSummaryJson(i: ImageRecord): Record<string, unknown> {
  return {
    Id: i.id,
    ParentId: i.parentId,
    RepoTags: [...i.repoTags],
    RepoDigests: [...i.repoDigests],
    Created: i.created,
    Size: i.size,
    SharedSize: -1,
    Labels: { ...i.labels },
    Containers: -1,
  };
}

const IMAGE_CONFIG_KEYS = [
  'User', 'ExposedPorts', 'Env', 'Cmd', 'Healthcheck', 'ArgsEscaped', 'Volumes', 'WorkingDir', 'Entrypoint', 'OnBuild',
  'Labels', 'StopSignal', 'Shell',
] as const;

export function toImageInspectJson(i: ImageRecord): Record<string, unknown> {
  const cfg = i.config;
  const inner = (typeof cfg.config === 'object' && cfg.config !== null ? cfg.config : {}) as Record<string, unknown>;
  const config: Record<string, unknown> = {};
  for (const k of IMAGE_CONFIG_KEYS) if (inner[k] !== undefined) config[k] = inner[k];
  const rootfs = (typeof cfg.rootfs === 'object' && cfg.rootfs !== null ? cfg.rootfs : {}) as Record<string, unknown>;
  const created = typeof cfg.created === 'string' ? cfg.created : new Date(i.created * 1000).toISOString();
  return {
    Id: i.id,
    RepoTags: [...i.repoTags],
    RepoDigests: [...i.repoDigests],
    Parent: i.parentId,
    Comment: typeof cfg.comment === 'string' ? cfg.comment : '',
    Created: created,
    DockerVersion: typeof cfg.docker_version === 'string' ? cfg.docker_version : '',
    Author: typeof cfg.author === 'string' ? cfg.author : '',
    Config: config,
    Architecture: typeof cfg.architecture === 'string' ? cfg.architecture : 'amd64',
    ...(typeof cfg.variant === 'string' ? { Variant: cfg.variant } : {}),
    Os: typeof cfg.os === 'string' ? cfg.os : 'linux',
    Size: i.size,
    GraphDriver: { Name: 'overlay2', Data: null },
    RootFS: { Type: 'layers', Layers: Array.isArray(rootfs.diff_ids) ? rootfs.diff_ids : [...i.layers] },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  };
}

export function toImageHistoryJson(h: ImageHistoryEntry): Record<string, unknown> {
  return { Id: h.id, Created: h.created, CreatedBy: h.createdBy, Tags: [...h.tags], Size: h.size, Comment: h.comment };
}
