/** Volume and network records → Docker Volume / Network JSON. */
import type { NetworkRecord, VolumeRecord } from '../backend.js';

export function toVolumeJson(v: VolumeRecord): Record<string, unknown> {
  return {
    CreatedAt: v.createdAt,
    Driver: v.driver,
    Labels: { ...v.labels },
    Mountpoint: v.mountpoint,
    Name: v.name,
    Options: { ...v.options },
    Scope: 'local',
    UsageData: { Size: v.size, RefCount: v.refCount },
  };
}

export function toNetworkJson(n: NetworkRecord): Record<string, unknown> {
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: 'local',
    Driver: n.driver,
    EnableIPv4: n.driver === 'bridge',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: n.subnet !== '' ? [{ Subnet: n.subnet, Gateway: n.gateway }] : [] },
    Internal: n.internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: Object.fromEntries(
      Object.entries(n.containers).map(([id, c]) => [
        id,
        { Name: c.name, EndpointID: '', MacAddress: c.macAddress, IPv4Address: c.ipv4Address, IPv6Address: '' },
      ]),
    ),
    Options: { ...n.options },
    Labels: { ...n.labels },
  };
}
