/**
 * The subset of the Docker Engine API v1.50 schema (moby v28.2.2 api/swagger.yaml) that berthd's
 * responses are checked against: property names, JSON types, required properties, enums. Data only,
 * extracted from the published schema with descriptions and examples left out.
 */
export type SchemaNode =
  | 'any'
  | { readonly ref: string }
  | { readonly type: 'string' | 'integer' | 'boolean' | 'number'; readonly nullable?: boolean; readonly enum?: readonly unknown[] }
  | { readonly type: 'array'; readonly items: SchemaNode }
  | {
      readonly type: 'object';
      readonly properties?: Readonly<Record<string, SchemaNode>>;
      readonly additionalProperties?: SchemaNode | boolean;
      readonly required?: readonly string[];
      readonly nullable?: boolean;
    };

export const API_SCHEMA_V1_50: Readonly<Record<string, SchemaNode>> = {
 "Address": {
  "properties": {
   "Addr": {
    "type": "string"
   },
   "PrefixLen": {
    "type": "integer"
   }
  },
  "type": "object"
 },
 "AuthConfig": {
  "properties": {
   "email": {
    "type": "string"
   },
   "password": {
    "type": "string"
   },
   "serveraddress": {
    "type": "string"
   },
   "username": {
    "type": "string"
   }
  },
  "type": "object"
 },
 "ClusterInfo": {
  "nullable": true,
  "properties": {
   "CreatedAt": {
    "type": "string"
   },
   "DataPathPort": {
    "type": "integer"
   },
   "DefaultAddrPool": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "ID": {
    "type": "string"
   },
   "RootRotationInProgress": {
    "type": "boolean"
   },
   "Spec": {
    "ref": "SwarmSpec"
   },
   "SubnetSize": {
    "type": "integer"
   },
   "TLSInfo": {
    "ref": "TLSInfo"
   },
   "UpdatedAt": {
    "type": "string"
   },
   "Version": {
    "ref": "ObjectVersion"
   }
  },
  "type": "object"
 },
 "ClusterVolume": {
  "properties": {
   "CreatedAt": {
    "type": "string"
   },
   "ID": {
    "type": "string"
   },
   "Info": {
    "properties": {
     "AccessibleTopology": {
      "items": {
       "ref": "Topology"
      },
      "type": "array"
     },
     "CapacityBytes": {
      "type": "integer"
     },
     "VolumeContext": {
      "additionalProperties": {
       "type": "string"
      },
      "type": "object"
     },
     "VolumeID": {
      "type": "string"
     }
    },
    "type": "object"
   },
   "PublishStatus": {
    "items": {
     "properties": {
      "NodeID": {
       "type": "string"
      },
      "PublishContext": {
       "additionalProperties": {
        "type": "string"
       },
       "type": "object"
      },
      "State": {
       "enum": [
        "pending-publish",
        "published",
        "pending-node-unpublish",
        "pending-controller-unpublish"
       ],
       "type": "string"
      }
     },
     "type": "object"
    },
    "type": "array"
   },
   "Spec": {
    "ref": "ClusterVolumeSpec"
   },
   "UpdatedAt": {
    "type": "string"
   },
   "Version": {
    "ref": "ObjectVersion"
   }
  },
  "type": "object"
 },
 "ClusterVolumeSpec": {
  "properties": {
   "AccessMode": {
    "properties": {
     "AccessibilityRequirements": {
      "properties": {
       "Preferred": {
        "items": {
         "ref": "Topology"
        },
        "type": "array"
       },
       "Requisite": {
        "items": {
         "ref": "Topology"
        },
        "type": "array"
       }
      },
      "type": "object"
     },
     "Availability": {
      "enum": [
       "active",
       "pause",
       "drain"
      ],
      "type": "string"
     },
     "CapacityRange": {
      "properties": {
       "LimitBytes": {
        "type": "integer"
       },
       "RequiredBytes": {
        "type": "integer"
       }
      },
      "type": "object"
     },
     "MountVolume": {
      "type": "object"
     },
     "Scope": {
      "enum": [
       "single",
       "multi"
      ],
      "type": "string"
     },
     "Secrets": {
      "items": {
       "properties": {
        "Key": {
         "type": "string"
        },
        "Secret": {
         "type": "string"
        }
       },
       "type": "object"
      },
      "type": "array"
     },
     "Sharing": {
      "enum": [
       "none",
       "readonly",
       "onewriter",
       "all"
      ],
      "type": "string"
     }
    },
    "type": "object"
   },
   "Group": {
    "type": "string"
   }
  },
  "type": "object"
 },
 "Commit": {
  "properties": {
   "ID": {
    "type": "string"
   }
  },
  "type": "object"
 },
 "ConfigReference": {
  "properties": {
   "Network": {
    "type": "string"
   }
  },
  "type": "object"
 },
 "ContainerBlkioStatEntry": {
  "nullable": true,
  "properties": {
   "major": {
    "type": "integer"
   },
   "minor": {
    "type": "integer"
   },
   "op": {
    "type": "string"
   },
   "value": {
    "type": "integer"
   }
  },
  "type": "object"
 },
 "ContainerBlkioStats": {
  "nullable": true,
  "properties": {
   "io_merged_recursive": {
    "items": {
     "ref": "ContainerBlkioStatEntry"
    },
    "type": "array"
   },
   "io_queue_recursive": {
    "items": {
     "ref": "ContainerBlkioStatEntry"
    },
    "type": "array"
   },
   "io_service_bytes_recursive": {
    "items": {
     "ref": "ContainerBlkioStatEntry"
    },
    "type": "array"
   },
   "io_service_time_recursive": {
    "items": {
     "ref": "ContainerBlkioStatEntry"
    },
    "type": "array"
   },
   "io_serviced_recursive": {
    "items": {
     "ref": "ContainerBlkioStatEntry"
    },
    "type": "array"
   },
   "io_time_recursive": {
    "items": {
     "ref": "ContainerBlkioStatEntry"
    },
    "type": "array"
   },
   "io_wait_time_recursive": {
    "items": {
     "ref": "ContainerBlkioStatEntry"
    },
    "type": "array"
   },
   "sectors_recursive": {
    "items": {
     "ref": "ContainerBlkioStatEntry"
    },
    "type": "array"
   }
  },
  "type": "object"
 },
 "ContainerCPUStats": {
  "nullable": true,
  "properties": {
   "cpu_usage": {
    "ref": "ContainerCPUUsage"
   },
   "online_cpus": {
    "nullable": true,
    "type": "integer"
   },
   "system_cpu_usage": {
    "nullable": true,
    "type": "integer"
   },
   "throttling_data": {
    "ref": "ContainerThrottlingData"
   }
  },
  "type": "object"
 },
 "ContainerCPUUsage": {
  "nullable": true,
  "properties": {
   "percpu_usage": {
    "items": {
     "type": "integer"
    },
    "type": "array"
   },
   "total_usage": {
    "type": "integer"
   },
   "usage_in_kernelmode": {
    "type": "integer"
   },
   "usage_in_usermode": {
    "type": "integer"
   }
  },
  "type": "object"
 },
 "ContainerConfig": {
  "properties": {
   "ArgsEscaped": {
    "nullable": true,
    "type": "boolean"
   },
   "AttachStderr": {
    "type": "boolean"
   },
   "AttachStdin": {
    "type": "boolean"
   },
   "AttachStdout": {
    "type": "boolean"
   },
   "Cmd": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "Domainname": {
    "type": "string"
   },
   "Entrypoint": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "Env": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "ExposedPorts": {
    "additionalProperties": {
     "type": "object"
    },
    "nullable": true,
    "type": "object"
   },
   "Healthcheck": {
    "ref": "HealthConfig"
   },
   "Hostname": {
    "type": "string"
   },
   "Image": {
    "type": "string"
   },
   "Labels": {
    "additionalProperties": {
     "type": "string"
    },
    "type": "object"
   },
   "MacAddress": {
    "nullable": true,
    "type": "string"
   },
   "NetworkDisabled": {
    "nullable": true,
    "type": "boolean"
   },
   "OnBuild": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "OpenStdin": {
    "type": "boolean"
   },
   "Shell": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "StdinOnce": {
    "type": "boolean"
   },
   "StopSignal": {
    "nullable": true,
    "type": "string"
   },
   "StopTimeout": {
    "nullable": true,
    "type": "integer"
   },
   "Tty": {
    "type": "boolean"
   },
   "User": {
    "type": "string"
   },
   "Volumes": {
    "additionalProperties": {
     "type": "object"
    },
    "type": "object"
   },
   "WorkingDir": {
    "type": "string"
   }
  },
  "type": "object"
 },
 "ContainerCreateResponse": {
  "properties": {
   "Id": {
    "type": "string"
   },
   "Warnings": {
    "items": {
     "type": "string"
    },
    "type": "array"
   }
  },
  "required": [
   "Id",
   "Warnings"
  ],
  "type": "object"
 },
 "ContainerInspectResponse": {
  "properties": {
   "AppArmorProfile": {
    "type": "string"
   },
   "Args": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "Config": {
    "ref": "ContainerConfig"
   },
   "Created": {
    "nullable": true,
    "type": "string"
   },
   "Driver": {
    "type": "string"
   },
   "ExecIDs": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "GraphDriver": {
    "ref": "DriverData"
   },
   "HostConfig": {
    "ref": "HostConfig"
   },
   "HostnamePath": {
    "type": "string"
   },
   "HostsPath": {
    "type": "string"
   },
   "Id": {
    "type": "string"
   },
   "Image": {
    "type": "string"
   },
   "ImageManifestDescriptor": {
    "ref": "OCIDescriptor"
   },
   "LogPath": {
    "nullable": true,
    "type": "string"
   },
   "MountLabel": {
    "type": "string"
   },
   "Mounts": {
    "items": {
     "ref": "MountPoint"
    },
    "type": "array"
   },
   "Name": {
    "type": "string"
   },
   "NetworkSettings": {
    "ref": "NetworkSettings"
   },
   "Path": {
    "type": "string"
   },
   "Platform": {
    "type": "string"
   },
   "ProcessLabel": {
    "type": "string"
   },
   "ResolvConfPath": {
    "type": "string"
   },
   "RestartCount": {
    "type": "integer"
   },
   "SizeRootFs": {
    "nullable": true,
    "type": "integer"
   },
   "SizeRw": {
    "nullable": true,
    "type": "integer"
   },
   "State": {
    "ref": "ContainerState"
   }
  },
  "type": "object"
 },
 "ContainerMemoryStats": {
  "properties": {
   "commitbytes": {
    "nullable": true,
    "type": "integer"
   },
   "commitpeakbytes": {
    "nullable": true,
    "type": "integer"
   },
   "failcnt": {
    "nullable": true,
    "type": "integer"
   },
   "limit": {
    "nullable": true,
    "type": "integer"
   },
   "max_usage": {
    "nullable": true,
    "type": "integer"
   },
   "privateworkingset": {
    "nullable": true,
    "type": "integer"
   },
   "stats": {
    "additionalProperties": {
     "nullable": true,
     "type": "integer"
    },
    "type": "object"
   },
   "usage": {
    "nullable": true,
    "type": "integer"
   }
  },
  "type": "object"
 },
 "ContainerPidsStats": {
  "nullable": true,
  "properties": {
   "current": {
    "nullable": true,
    "type": "integer"
   },
   "limit": {
    "nullable": true,
    "type": "integer"
   }
  },
  "type": "object"
 },
 "ContainerState": {
  "nullable": true,
  "properties": {
   "Dead": {
    "type": "boolean"
   },
   "Error": {
    "type": "string"
   },
   "ExitCode": {
    "type": "integer"
   },
   "FinishedAt": {
    "type": "string"
   },
   "Health": {
    "ref": "Health"
   },
   "OOMKilled": {
    "type": "boolean"
   },
   "Paused": {
    "type": "boolean"
   },
   "Pid": {
    "type": "integer"
   },
   "Restarting": {
    "type": "boolean"
   },
   "Running": {
    "type": "boolean"
   },
   "StartedAt": {
    "type": "string"
   },
   "Status": {
    "enum": [
     "created",
     "running",
     "paused",
     "restarting",
     "removing",
     "exited",
     "dead"
    ],
    "type": "string"
   }
  },
  "type": "object"
 },
 "ContainerStatsResponse": {
  "properties": {
   "blkio_stats": {
    "ref": "ContainerBlkioStats"
   },
   "cpu_stats": {
    "ref": "ContainerCPUStats"
   },
   "id": {
    "nullable": true,
    "type": "string"
   },
   "memory_stats": {
    "ref": "ContainerMemoryStats"
   },
   "name": {
    "nullable": true,
    "type": "string"
   },
   "networks": "any",
   "num_procs": {
    "type": "integer"
   },
   "pids_stats": {
    "ref": "ContainerPidsStats"
   },
   "precpu_stats": {
    "ref": "ContainerCPUStats"
   },
   "preread": {
    "type": "string"
   },
   "read": {
    "type": "string"
   },
   "storage_stats": {
    "ref": "ContainerStorageStats"
   }
  },
  "type": "object"
 },
 "ContainerStorageStats": {
  "nullable": true,
  "properties": {
   "read_count_normalized": {
    "nullable": true,
    "type": "integer"
   },
   "read_size_bytes": {
    "nullable": true,
    "type": "integer"
   },
   "write_count_normalized": {
    "nullable": true,
    "type": "integer"
   },
   "write_size_bytes": {
    "nullable": true,
    "type": "integer"
   }
  },
  "type": "object"
 },
 "ContainerSummary": {
  "properties": {
   "Command": {
    "type": "string"
   },
   "Created": {
    "type": "integer"
   },
   "HostConfig": {
    "properties": {
     "Annotations": {
      "additionalProperties": {
       "type": "string"
      },
      "nullable": true,
      "type": "object"
     },
     "NetworkMode": {
      "type": "string"
     }
    },
    "type": "object"
   },
   "Id": {
    "type": "string"
   },
   "Image": {
    "type": "string"
   },
   "ImageID": {
    "type": "string"
   },
   "ImageManifestDescriptor": {
    "ref": "OCIDescriptor"
   },
   "Labels": {
    "additionalProperties": {
     "type": "string"
    },
    "type": "object"
   },
   "Mounts": {
    "items": {
     "ref": "MountPoint"
    },
    "type": "array"
   },
   "Names": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "NetworkSettings": {
    "properties": {
     "Networks": {
      "additionalProperties": {
       "ref": "EndpointSettings"
      },
      "type": "object"
     }
    },
    "type": "object"
   },
   "Ports": {
    "items": {
     "ref": "Port"
    },
    "type": "array"
   },
   "SizeRootFs": {
    "nullable": true,
    "type": "integer"
   },
   "SizeRw": {
    "nullable": true,
    "type": "integer"
   },
   "State": {
    "enum": [
     "created",
     "running",
     "paused",
     "restarting",
     "exited",
     "removing",
     "dead"
    ],
    "type": "string"
   },
   "Status": {
    "type": "string"
   }
  },
  "type": "object"
 },
 "ContainerThrottlingData": {
  "nullable": true,
  "properties": {
   "periods": {
    "type": "integer"
   },
   "throttled_periods": {
    "type": "integer"
   },
   "throttled_time": {
    "type": "integer"
   }
  },
  "type": "object"
 },
 "ContainerTopResponse": {
  "properties": {
   "Processes": {
    "items": {
     "items": {
      "type": "string"
     },
     "type": "array"
    },
    "type": "array"
   },
   "Titles": {
    "items": {
     "type": "string"
    },
    "type": "array"
   }
  },
  "type": "object"
 },
 "ContainerWaitExitError": {
  "properties": {
   "Message": {
    "type": "string"
   }
  },
  "type": "object"
 },
 "ContainerWaitResponse": {
  "properties": {
   "Error": {
    "ref": "ContainerWaitExitError"
   },
   "StatusCode": {
    "type": "integer"
   }
  },
  "required": [
   "StatusCode"
  ],
  "type": "object"
 },
 "ContainerdInfo": {
  "nullable": true,
  "properties": {
   "Address": {
    "type": "string"
   },
   "Namespaces": {
    "properties": {
     "Containers": {
      "type": "string"
     },
     "Plugins": {
      "type": "string"
     }
    },
    "type": "object"
   }
  },
  "type": "object"
 },
 "DeviceInfo": {
  "properties": {
   "ID": {
    "type": "string"
   },
   "Source": {
    "type": "string"
   }
  },
  "type": "object"
 },
 "DeviceMapping": {
  "properties": {
   "CgroupPermissions": {
    "type": "string"
   },
   "PathInContainer": {
    "type": "string"
   },
   "PathOnHost": {
    "type": "string"
   }
  },
  "type": "object"
 },
 "DeviceRequest": {
  "properties": {
   "Capabilities": {
    "items": {
     "items": {
      "type": "string"
     },
     "type": "array"
    },
    "type": "array"
   },
   "Count": {
    "type": "integer"
   },
   "DeviceIDs": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "Driver": {
    "type": "string"
   },
   "Options": {
    "additionalProperties": {
     "type": "string"
    },
    "type": "object"
   }
  },
  "type": "object"
 },
 "DriverData": {
  "properties": {
   "Data": {
    "additionalProperties": {
     "type": "string"
    },
    "type": "object"
   },
   "Name": {
    "type": "string"
   }
  },
  "required": [
   "Name",
   "Data"
  ],
  "type": "object"
 },
 "EndpointIPAMConfig": {
  "nullable": true,
  "properties": {
   "IPv4Address": {
    "type": "string"
   },
   "IPv6Address": {
    "type": "string"
   },
   "LinkLocalIPs": {
    "items": {
     "type": "string"
    },
    "type": "array"
   }
  },
  "type": "object"
 },
 "EndpointSettings": {
  "properties": {
   "Aliases": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "DNSNames": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "DriverOpts": {
    "additionalProperties": {
     "type": "string"
    },
    "nullable": true,
    "type": "object"
   },
   "EndpointID": {
    "type": "string"
   },
   "Gateway": {
    "type": "string"
   },
   "GlobalIPv6Address": {
    "type": "string"
   },
   "GlobalIPv6PrefixLen": {
    "type": "integer"
   },
   "GwPriority": {
    "type": "number"
   },
   "IPAMConfig": {
    "ref": "EndpointIPAMConfig"
   },
   "IPAddress": {
    "type": "string"
   },
   "IPPrefixLen": {
    "type": "integer"
   },
   "IPv6Gateway": {
    "type": "string"
   },
   "Links": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "MacAddress": {
    "type": "string"
   },
   "NetworkID": {
    "type": "string"
   }
  },
  "type": "object"
 },
 "ErrorResponse": {
  "properties": {
   "message": {
    "type": "string"
   }
  },
  "required": [
   "message"
  ],
  "type": "object"
 },
 "EventActor": {
  "properties": {
   "Attributes": {
    "additionalProperties": {
     "type": "string"
    },
    "type": "object"
   },
   "ID": {
    "type": "string"
   }
  },
  "type": "object"
 },
 "EventMessage": {
  "properties": {
   "Action": {
    "type": "string"
   },
   "Actor": {
    "ref": "EventActor"
   },
   "Type": {
    "enum": [
     "builder",
     "config",
     "container",
     "daemon",
     "image",
     "network",
     "node",
     "plugin",
     "secret",
     "service",
     "volume"
    ],
    "type": "string"
   },
   "scope": {
    "enum": [
     "local",
     "swarm"
    ],
    "type": "string"
   },
   "time": {
    "type": "integer"
   },
   "timeNano": {
    "type": "integer"
   }
  },
  "type": "object"
 },
 "ExecInspectResponse": {
  "properties": {
   "CanRemove": {
    "type": "boolean"
   },
   "ContainerID": {
    "type": "string"
   },
   "DetachKeys": {
    "type": "string"
   },
   "ExitCode": {
    "type": "integer"
   },
   "ID": {
    "type": "string"
   },
   "OpenStderr": {
    "type": "boolean"
   },
   "OpenStdin": {
    "type": "boolean"
   },
   "OpenStdout": {
    "type": "boolean"
   },
   "Pid": {
    "type": "integer"
   },
   "ProcessConfig": {
    "ref": "ProcessConfig"
   },
   "Running": {
    "type": "boolean"
   }
  },
  "type": "object"
 },
 "FirewallInfo": {
  "nullable": true,
  "properties": {
   "Driver": {
    "type": "string"
   },
   "Info": {
    "items": {
     "items": {
      "type": "string"
     },
     "type": "array"
    },
    "type": "array"
   }
  },
  "type": "object"
 },
 "GenericResources": {
  "items": {
   "properties": {
    "DiscreteResourceSpec": {
     "properties": {
      "Kind": {
       "type": "string"
      },
      "Value": {
       "type": "integer"
      }
     },
     "type": "object"
    },
    "NamedResourceSpec": {
     "properties": {
      "Kind": {
       "type": "string"
      },
      "Value": {
       "type": "string"
      }
     },
     "type": "object"
    }
   },
   "type": "object"
  },
  "type": "array"
 },
 "Health": {
  "nullable": true,
  "properties": {
   "FailingStreak": {
    "type": "integer"
   },
   "Log": {
    "items": {
     "ref": "HealthcheckResult"
    },
    "type": "array"
   },
   "Status": {
    "enum": [
     "none",
     "starting",
     "healthy",
     "unhealthy"
    ],
    "type": "string"
   }
  },
  "type": "object"
 },
 "HealthConfig": {
  "properties": {
   "Interval": {
    "type": "integer"
   },
   "Retries": {
    "type": "integer"
   },
   "StartInterval": {
    "type": "integer"
   },
   "StartPeriod": {
    "type": "integer"
   },
   "Test": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "Timeout": {
    "type": "integer"
   }
  },
  "type": "object"
 },
 "HealthcheckResult": {
  "nullable": true,
  "properties": {
   "End": {
    "type": "string"
   },
   "ExitCode": {
    "type": "integer"
   },
   "Output": {
    "type": "string"
   },
   "Start": {
    "type": "string"
   }
  },
  "type": "object"
 },
 "HostConfig": {
  "properties": {
   "Annotations": {
    "additionalProperties": {
     "type": "string"
    },
    "type": "object"
   },
   "AutoRemove": {
    "type": "boolean"
   },
   "Binds": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "BlkioDeviceReadBps": {
    "items": {
     "ref": "ThrottleDevice"
    },
    "type": "array"
   },
   "BlkioDeviceReadIOps": {
    "items": {
     "ref": "ThrottleDevice"
    },
    "type": "array"
   },
   "BlkioDeviceWriteBps": {
    "items": {
     "ref": "ThrottleDevice"
    },
    "type": "array"
   },
   "BlkioDeviceWriteIOps": {
    "items": {
     "ref": "ThrottleDevice"
    },
    "type": "array"
   },
   "BlkioWeight": {
    "type": "integer"
   },
   "BlkioWeightDevice": {
    "items": {
     "properties": {
      "Path": {
       "type": "string"
      },
      "Weight": {
       "type": "integer"
      }
     },
     "type": "object"
    },
    "type": "array"
   },
   "CapAdd": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "CapDrop": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "Cgroup": {
    "type": "string"
   },
   "CgroupParent": {
    "type": "string"
   },
   "CgroupnsMode": {
    "enum": [
     "private",
     "host"
    ],
    "type": "string"
   },
   "ConsoleSize": {
    "items": {
     "type": "integer"
    },
    "type": "array"
   },
   "ContainerIDFile": {
    "type": "string"
   },
   "CpuCount": {
    "type": "integer"
   },
   "CpuPercent": {
    "type": "integer"
   },
   "CpuPeriod": {
    "type": "integer"
   },
   "CpuQuota": {
    "type": "integer"
   },
   "CpuRealtimePeriod": {
    "type": "integer"
   },
   "CpuRealtimeRuntime": {
    "type": "integer"
   },
   "CpuShares": {
    "type": "integer"
   },
   "CpusetCpus": {
    "type": "string"
   },
   "CpusetMems": {
    "type": "string"
   },
   "DeviceCgroupRules": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "DeviceRequests": {
    "items": {
     "ref": "DeviceRequest"
    },
    "type": "array"
   },
   "Devices": {
    "items": {
     "ref": "DeviceMapping"
    },
    "type": "array"
   },
   "Dns": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "DnsOptions": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "DnsSearch": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "ExtraHosts": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "GroupAdd": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "IOMaximumBandwidth": {
    "type": "integer"
   },
   "IOMaximumIOps": {
    "type": "integer"
   },
   "Init": {
    "nullable": true,
    "type": "boolean"
   },
   "IpcMode": {
    "type": "string"
   },
   "Isolation": {
    "enum": [
     "default",
     "process",
     "hyperv",
     ""
    ],
    "type": "string"
   },
   "KernelMemoryTCP": {
    "type": "integer"
   },
   "Links": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "LogConfig": {
    "properties": {
     "Config": {
      "additionalProperties": {
       "type": "string"
      },
      "type": "object"
     },
     "Type": {
      "enum": [
       "local",
       "json-file",
       "syslog",
       "journald",
       "gelf",
       "fluentd",
       "awslogs",
       "splunk",
       "etwlogs",
       "none"
      ],
      "type": "string"
     }
    },
    "type": "object"
   },
   "MaskedPaths": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "Memory": {
    "type": "integer"
   },
   "MemoryReservation": {
    "type": "integer"
   },
   "MemorySwap": {
    "type": "integer"
   },
   "MemorySwappiness": {
    "type": "integer"
   },
   "Mounts": {
    "items": {
     "ref": "Mount"
    },
    "type": "array"
   },
   "NanoCpus": {
    "type": "integer"
   },
   "NetworkMode": {
    "type": "string"
   },
   "OomKillDisable": {
    "type": "boolean"
   },
   "OomScoreAdj": {
    "type": "integer"
   },
   "PidMode": {
    "type": "string"
   },
   "PidsLimit": {
    "nullable": true,
    "type": "integer"
   },
   "PortBindings": {
    "ref": "PortMap"
   },
   "Privileged": {
    "type": "boolean"
   },
   "PublishAllPorts": {
    "type": "boolean"
   },
   "ReadonlyPaths": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "ReadonlyRootfs": {
    "type": "boolean"
   },
   "RestartPolicy": {
    "ref": "RestartPolicy"
   },
   "Runtime": {
    "nullable": true,
    "type": "string"
   },
   "SecurityOpt": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "ShmSize": {
    "type": "integer"
   },
   "StorageOpt": {
    "additionalProperties": {
     "type": "string"
    },
    "type": "object"
   },
   "Sysctls": {
    "additionalProperties": {
     "type": "string"
    },
    "nullable": true,
    "type": "object"
   },
   "Tmpfs": {
    "additionalProperties": {
     "type": "string"
    },
    "type": "object"
   },
   "UTSMode": {
    "type": "string"
   },
   "Ulimits": {
    "items": {
     "properties": {
      "Hard": {
       "type": "integer"
      },
      "Name": {
       "type": "string"
      },
      "Soft": {
       "type": "integer"
      }
     },
     "type": "object"
    },
    "type": "array"
   },
   "UsernsMode": {
    "type": "string"
   },
   "VolumeDriver": {
    "type": "string"
   },
   "VolumesFrom": {
    "items": {
     "type": "string"
    },
    "type": "array"
   }
  },
  "type": "object"
 },
 "IDResponse": {
  "properties": {
   "Id": {
    "type": "string"
   }
  },
  "required": [
   "Id"
  ],
  "type": "object"
 },
 "IPAM": {
  "properties": {
   "Config": {
    "items": {
     "ref": "IPAMConfig"
    },
    "type": "array"
   },
   "Driver": {
    "type": "string"
   },
   "Options": {
    "additionalProperties": {
     "type": "string"
    },
    "type": "object"
   }
  },
  "type": "object"
 },
 "IPAMConfig": {
  "properties": {
   "AuxiliaryAddresses": {
    "additionalProperties": {
     "type": "string"
    },
    "type": "object"
   },
   "Gateway": {
    "type": "string"
   },
   "IPRange": {
    "type": "string"
   },
   "Subnet": {
    "type": "string"
   }
  },
  "type": "object"
 },
 "ImageConfig": {
  "properties": {
   "ArgsEscaped": {
    "nullable": true,
    "type": "boolean"
   },
   "Cmd": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "Entrypoint": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "Env": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "ExposedPorts": {
    "additionalProperties": {
     "type": "object"
    },
    "nullable": true,
    "type": "object"
   },
   "Healthcheck": {
    "ref": "HealthConfig"
   },
   "Labels": {
    "additionalProperties": {
     "type": "string"
    },
    "type": "object"
   },
   "OnBuild": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "Shell": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "StopSignal": {
    "nullable": true,
    "type": "string"
   },
   "User": {
    "type": "string"
   },
   "Volumes": {
    "additionalProperties": {
     "type": "object"
    },
    "type": "object"
   },
   "WorkingDir": {
    "type": "string"
   }
  },
  "type": "object"
 },
 "ImageDeleteResponseItem": {
  "properties": {
   "Deleted": {
    "type": "string"
   },
   "Untagged": {
    "type": "string"
   }
  },
  "type": "object"
 },
 "ImageInspect": {
  "properties": {
   "Architecture": {
    "type": "string"
   },
   "Author": {
    "type": "string"
   },
   "Comment": {
    "type": "string"
   },
   "Config": {
    "ref": "ImageConfig"
   },
   "Created": {
    "nullable": true,
    "type": "string"
   },
   "Descriptor": {
    "ref": "OCIDescriptor"
   },
   "DockerVersion": {
    "type": "string"
   },
   "GraphDriver": {
    "ref": "DriverData"
   },
   "Id": {
    "type": "string"
   },
   "Manifests": {
    "items": {
     "ref": "ImageManifestSummary"
    },
    "type": "array"
   },
   "Metadata": {
    "properties": {
     "LastTagTime": {
      "nullable": true,
      "type": "string"
     }
    },
    "type": "object"
   },
   "Os": {
    "type": "string"
   },
   "OsVersion": {
    "nullable": true,
    "type": "string"
   },
   "Parent": {
    "type": "string"
   },
   "RepoDigests": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "RepoTags": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "RootFS": {
    "properties": {
     "Layers": {
      "items": {
       "type": "string"
      },
      "type": "array"
     },
     "Type": {
      "type": "string"
     }
    },
    "required": [
     "Type"
    ],
    "type": "object"
   },
   "Size": {
    "type": "integer"
   },
   "Variant": {
    "nullable": true,
    "type": "string"
   },
   "VirtualSize": {
    "type": "integer"
   }
  },
  "type": "object"
 },
 "ImageManifestSummary": {
  "properties": {
   "AttestationData": {
    "nullable": true,
    "properties": {
     "For": {
      "type": "string"
     }
    },
    "required": [
     "For"
    ],
    "type": "object"
   },
   "Available": {
    "type": "boolean"
   },
   "Descriptor": {
    "ref": "OCIDescriptor"
   },
   "ID": {
    "type": "string"
   },
   "ImageData": {
    "nullable": true,
    "properties": {
     "Containers": {
      "items": {
       "type": "string"
      },
      "type": "array"
     },
     "Platform": {
      "ref": "OCIPlatform"
     },
     "Size": {
      "properties": {
       "Unpacked": {
        "type": "integer"
       }
      },
      "required": [
       "Unpacked"
      ],
      "type": "object"
     }
    },
    "required": [
     "Platform",
     "Containers",
     "Size",
     "UnpackedSize"
    ],
    "type": "object"
   },
   "Kind": {
    "enum": [
     "image",
     "attestation",
     "unknown"
    ],
    "type": "string"
   },
   "Size": {
    "properties": {
     "Content": {
      "type": "integer"
     },
     "Total": {
      "type": "integer"
     }
    },
    "required": [
     "Content",
     "Total"
    ],
    "type": "object"
   }
  },
  "required": [
   "ID",
   "Descriptor",
   "Available",
   "Size",
   "Kind"
  ],
  "type": "object"
 },
 "ImageSummary": {
  "properties": {
   "Containers": {
    "type": "integer"
   },
   "Created": {
    "type": "integer"
   },
   "Descriptor": {
    "ref": "OCIDescriptor"
   },
   "Id": {
    "type": "string"
   },
   "Labels": {
    "additionalProperties": {
     "type": "string"
    },
    "type": "object"
   },
   "Manifests": {
    "items": {
     "ref": "ImageManifestSummary"
    },
    "type": "array"
   },
   "ParentId": {
    "type": "string"
   },
   "RepoDigests": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "RepoTags": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "SharedSize": {
    "type": "integer"
   },
   "Size": {
    "type": "integer"
   },
   "VirtualSize": {
    "type": "integer"
   }
  },
  "required": [
   "Id",
   "ParentId",
   "RepoTags",
   "RepoDigests",
   "Created",
   "Size",
   "SharedSize",
   "Labels",
   "Containers"
  ],
  "type": "object"
 },
 "IndexInfo": {
  "nullable": true,
  "properties": {
   "Mirrors": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "Name": {
    "type": "string"
   },
   "Official": {
    "type": "boolean"
   },
   "Secure": {
    "type": "boolean"
   }
  },
  "type": "object"
 },
 "LocalNodeState": {
  "enum": [
   "",
   "inactive",
   "pending",
   "active",
   "error",
   "locked"
  ],
  "type": "string"
 },
 "Mount": {
  "properties": {
   "BindOptions": {
    "properties": {
     "CreateMountpoint": {
      "type": "boolean"
     },
     "NonRecursive": {
      "type": "boolean"
     },
     "Propagation": {
      "enum": [
       "private",
       "rprivate",
       "shared",
       "rshared",
       "slave",
       "rslave"
      ],
      "type": "string"
     },
     "ReadOnlyForceRecursive": {
      "type": "boolean"
     },
     "ReadOnlyNonRecursive": {
      "type": "boolean"
     }
    },
    "type": "object"
   },
   "Consistency": {
    "type": "string"
   },
   "ImageOptions": {
    "properties": {
     "Subpath": {
      "type": "string"
     }
    },
    "type": "object"
   },
   "ReadOnly": {
    "type": "boolean"
   },
   "Source": {
    "type": "string"
   },
   "Target": {
    "type": "string"
   },
   "TmpfsOptions": {
    "properties": {
     "Mode": {
      "type": "integer"
     },
     "Options": {
      "items": {
       "items": {
        "type": "string"
       },
       "type": "array"
      },
      "type": "array"
     },
     "SizeBytes": {
      "type": "integer"
     }
    },
    "type": "object"
   },
   "Type": {
    "enum": [
     "bind",
     "volume",
     "image",
     "tmpfs",
     "npipe",
     "cluster"
    ],
    "type": "string"
   },
   "VolumeOptions": {
    "properties": {
     "DriverConfig": {
      "properties": {
       "Name": {
        "type": "string"
       },
       "Options": {
        "additionalProperties": {
         "type": "string"
        },
        "type": "object"
       }
      },
      "type": "object"
     },
     "Labels": {
      "additionalProperties": {
       "type": "string"
      },
      "type": "object"
     },
     "NoCopy": {
      "type": "boolean"
     },
     "Subpath": {
      "type": "string"
     }
    },
    "type": "object"
   }
  },
  "type": "object"
 },
 "MountPoint": {
  "properties": {
   "Destination": {
    "type": "string"
   },
   "Driver": {
    "type": "string"
   },
   "Mode": {
    "type": "string"
   },
   "Name": {
    "type": "string"
   },
   "Propagation": {
    "type": "string"
   },
   "RW": {
    "type": "boolean"
   },
   "Source": {
    "type": "string"
   },
   "Type": {
    "enum": [
     "bind",
     "volume",
     "image",
     "tmpfs",
     "npipe",
     "cluster"
    ],
    "type": "string"
   }
  },
  "type": "object"
 },
 "Network": {
  "properties": {
   "Attachable": {
    "type": "boolean"
   },
   "ConfigFrom": {
    "ref": "ConfigReference"
   },
   "ConfigOnly": {
    "type": "boolean"
   },
   "Containers": {
    "additionalProperties": {
     "ref": "NetworkContainer"
    },
    "type": "object"
   },
   "Created": {
    "type": "string"
   },
   "Driver": {
    "type": "string"
   },
   "EnableIPv4": {
    "type": "boolean"
   },
   "EnableIPv6": {
    "type": "boolean"
   },
   "IPAM": {
    "ref": "IPAM"
   },
   "Id": {
    "type": "string"
   },
   "Ingress": {
    "type": "boolean"
   },
   "Internal": {
    "type": "boolean"
   },
   "Labels": {
    "additionalProperties": {
     "type": "string"
    },
    "type": "object"
   },
   "Name": {
    "type": "string"
   },
   "Options": {
    "additionalProperties": {
     "type": "string"
    },
    "type": "object"
   },
   "Peers": {
    "items": {
     "ref": "PeerInfo"
    },
    "type": "array"
   },
   "Scope": {
    "type": "string"
   }
  },
  "type": "object"
 },
 "NetworkContainer": {
  "properties": {
   "EndpointID": {
    "type": "string"
   },
   "IPv4Address": {
    "type": "string"
   },
   "IPv6Address": {
    "type": "string"
   },
   "MacAddress": {
    "type": "string"
   },
   "Name": {
    "type": "string"
   }
  },
  "type": "object"
 },
 "NetworkSettings": {
  "properties": {
   "Bridge": {
    "type": "string"
   },
   "EndpointID": {
    "type": "string"
   },
   "Gateway": {
    "type": "string"
   },
   "GlobalIPv6Address": {
    "type": "string"
   },
   "GlobalIPv6PrefixLen": {
    "type": "integer"
   },
   "HairpinMode": {
    "type": "boolean"
   },
   "IPAddress": {
    "type": "string"
   },
   "IPPrefixLen": {
    "type": "integer"
   },
   "IPv6Gateway": {
    "type": "string"
   },
   "LinkLocalIPv6Address": {
    "type": "string"
   },
   "LinkLocalIPv6PrefixLen": {
    "type": "integer"
   },
   "MacAddress": {
    "type": "string"
   },
   "Networks": {
    "additionalProperties": {
     "ref": "EndpointSettings"
    },
    "type": "object"
   },
   "Ports": {
    "ref": "PortMap"
   },
   "SandboxID": {
    "type": "string"
   },
   "SandboxKey": {
    "type": "string"
   },
   "SecondaryIPAddresses": {
    "items": {
     "ref": "Address"
    },
    "type": "array"
   },
   "SecondaryIPv6Addresses": {
    "items": {
     "ref": "Address"
    },
    "type": "array"
   }
  },
  "type": "object"
 },
 "NetworkingConfig": {
  "properties": {
   "EndpointsConfig": {
    "additionalProperties": {
     "ref": "EndpointSettings"
    },
    "type": "object"
   }
  },
  "type": "object"
 },
 "OCIDescriptor": {
  "properties": {
   "annotations": {
    "additionalProperties": {
     "type": "string"
    },
    "nullable": true,
    "type": "object"
   },
   "artifactType": {
    "nullable": true,
    "type": "string"
   },
   "data": {
    "nullable": true,
    "type": "string"
   },
   "digest": {
    "type": "string"
   },
   "mediaType": {
    "type": "string"
   },
   "platform": {
    "ref": "OCIPlatform"
   },
   "size": {
    "type": "integer"
   },
   "urls": {
    "items": {
     "type": "string"
    },
    "type": "array"
   }
  },
  "type": "object"
 },
 "OCIPlatform": {
  "nullable": true,
  "properties": {
   "architecture": {
    "type": "string"
   },
   "os": {
    "type": "string"
   },
   "os.features": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "os.version": {
    "type": "string"
   },
   "variant": {
    "type": "string"
   }
  },
  "type": "object"
 },
 "ObjectVersion": {
  "properties": {
   "Index": {
    "type": "integer"
   }
  },
  "type": "object"
 },
 "PeerInfo": {
  "properties": {
   "IP": {
    "type": "string"
   },
   "Name": {
    "type": "string"
   }
  },
  "type": "object"
 },
 "PeerNode": {
  "properties": {
   "Addr": {
    "type": "string"
   },
   "NodeID": {
    "type": "string"
   }
  },
  "type": "object"
 },
 "PluginsInfo": {
  "properties": {
   "Authorization": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "Log": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "Network": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "Volume": {
    "items": {
     "type": "string"
    },
    "type": "array"
   }
  },
  "type": "object"
 },
 "Port": {
  "properties": {
   "IP": {
    "type": "string"
   },
   "PrivatePort": {
    "type": "integer"
   },
   "PublicPort": {
    "type": "integer"
   },
   "Type": {
    "enum": [
     "tcp",
     "udp",
     "sctp"
    ],
    "type": "string"
   }
  },
  "required": [
   "PrivatePort",
   "Type"
  ],
  "type": "object"
 },
 "PortBinding": {
  "properties": {
   "HostIp": {
    "type": "string"
   },
   "HostPort": {
    "type": "string"
   }
  },
  "type": "object"
 },
 "PortMap": {
  "additionalProperties": {
   "items": {
    "ref": "PortBinding"
   },
   "type": "array"
  },
  "type": "object"
 },
 "RegistryServiceConfig": {
  "nullable": true,
  "properties": {
   "IndexConfigs": {
    "additionalProperties": {
     "ref": "IndexInfo"
    },
    "type": "object"
   },
   "InsecureRegistryCIDRs": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "Mirrors": {
    "items": {
     "type": "string"
    },
    "type": "array"
   }
  },
  "type": "object"
 },
 "Resources": {
  "properties": {
   "BlkioDeviceReadBps": {
    "items": {
     "ref": "ThrottleDevice"
    },
    "type": "array"
   },
   "BlkioDeviceReadIOps": {
    "items": {
     "ref": "ThrottleDevice"
    },
    "type": "array"
   },
   "BlkioDeviceWriteBps": {
    "items": {
     "ref": "ThrottleDevice"
    },
    "type": "array"
   },
   "BlkioDeviceWriteIOps": {
    "items": {
     "ref": "ThrottleDevice"
    },
    "type": "array"
   },
   "BlkioWeight": {
    "type": "integer"
   },
   "BlkioWeightDevice": {
    "items": {
     "properties": {
      "Path": {
       "type": "string"
      },
      "Weight": {
       "type": "integer"
      }
     },
     "type": "object"
    },
    "type": "array"
   },
   "CgroupParent": {
    "type": "string"
   },
   "CpuCount": {
    "type": "integer"
   },
   "CpuPercent": {
    "type": "integer"
   },
   "CpuPeriod": {
    "type": "integer"
   },
   "CpuQuota": {
    "type": "integer"
   },
   "CpuRealtimePeriod": {
    "type": "integer"
   },
   "CpuRealtimeRuntime": {
    "type": "integer"
   },
   "CpuShares": {
    "type": "integer"
   },
   "CpusetCpus": {
    "type": "string"
   },
   "CpusetMems": {
    "type": "string"
   },
   "DeviceCgroupRules": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "DeviceRequests": {
    "items": {
     "ref": "DeviceRequest"
    },
    "type": "array"
   },
   "Devices": {
    "items": {
     "ref": "DeviceMapping"
    },
    "type": "array"
   },
   "IOMaximumBandwidth": {
    "type": "integer"
   },
   "IOMaximumIOps": {
    "type": "integer"
   },
   "Init": {
    "nullable": true,
    "type": "boolean"
   },
   "KernelMemoryTCP": {
    "type": "integer"
   },
   "Memory": {
    "type": "integer"
   },
   "MemoryReservation": {
    "type": "integer"
   },
   "MemorySwap": {
    "type": "integer"
   },
   "MemorySwappiness": {
    "type": "integer"
   },
   "NanoCpus": {
    "type": "integer"
   },
   "OomKillDisable": {
    "type": "boolean"
   },
   "PidsLimit": {
    "nullable": true,
    "type": "integer"
   },
   "Ulimits": {
    "items": {
     "properties": {
      "Hard": {
       "type": "integer"
      },
      "Name": {
       "type": "string"
      },
      "Soft": {
       "type": "integer"
      }
     },
     "type": "object"
    },
    "type": "array"
   }
  },
  "type": "object"
 },
 "RestartPolicy": {
  "properties": {
   "MaximumRetryCount": {
    "type": "integer"
   },
   "Name": {
    "enum": [
     "",
     "no",
     "always",
     "unless-stopped",
     "on-failure"
    ],
    "type": "string"
   }
  },
  "type": "object"
 },
 "Runtime": {
  "properties": {
   "path": {
    "type": "string"
   },
   "runtimeArgs": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "status": {
    "additionalProperties": {
     "type": "string"
    },
    "nullable": true,
    "type": "object"
   }
  },
  "type": "object"
 },
 "SwarmInfo": {
  "properties": {
   "Cluster": {
    "ref": "ClusterInfo"
   },
   "ControlAvailable": {
    "type": "boolean"
   },
   "Error": {
    "type": "string"
   },
   "LocalNodeState": {
    "ref": "LocalNodeState"
   },
   "Managers": {
    "nullable": true,
    "type": "integer"
   },
   "NodeAddr": {
    "type": "string"
   },
   "NodeID": {
    "type": "string"
   },
   "Nodes": {
    "nullable": true,
    "type": "integer"
   },
   "RemoteManagers": {
    "items": {
     "ref": "PeerNode"
    },
    "type": "array"
   }
  },
  "type": "object"
 },
 "SwarmSpec": {
  "properties": {
   "CAConfig": {
    "nullable": true,
    "properties": {
     "ExternalCAs": {
      "items": {
       "properties": {
        "CACert": {
         "type": "string"
        },
        "Options": {
         "additionalProperties": {
          "type": "string"
         },
         "type": "object"
        },
        "Protocol": {
         "enum": [
          "cfssl"
         ],
         "type": "string"
        },
        "URL": {
         "type": "string"
        }
       },
       "type": "object"
      },
      "type": "array"
     },
     "ForceRotate": {
      "type": "integer"
     },
     "NodeCertExpiry": {
      "type": "integer"
     },
     "SigningCACert": {
      "type": "string"
     },
     "SigningCAKey": {
      "type": "string"
     }
    },
    "type": "object"
   },
   "Dispatcher": {
    "nullable": true,
    "properties": {
     "HeartbeatPeriod": {
      "type": "integer"
     }
    },
    "type": "object"
   },
   "EncryptionConfig": {
    "properties": {
     "AutoLockManagers": {
      "type": "boolean"
     }
    },
    "type": "object"
   },
   "Labels": {
    "additionalProperties": {
     "type": "string"
    },
    "type": "object"
   },
   "Name": {
    "type": "string"
   },
   "Orchestration": {
    "nullable": true,
    "properties": {
     "TaskHistoryRetentionLimit": {
      "type": "integer"
     }
    },
    "type": "object"
   },
   "Raft": {
    "properties": {
     "ElectionTick": {
      "type": "integer"
     },
     "HeartbeatTick": {
      "type": "integer"
     },
     "KeepOldSnapshots": {
      "type": "integer"
     },
     "LogEntriesForSlowFollowers": {
      "type": "integer"
     },
     "SnapshotInterval": {
      "type": "integer"
     }
    },
    "type": "object"
   },
   "TaskDefaults": {
    "properties": {
     "LogDriver": {
      "properties": {
       "Name": {
        "type": "string"
       },
       "Options": {
        "additionalProperties": {
         "type": "string"
        },
        "type": "object"
       }
      },
      "type": "object"
     }
    },
    "type": "object"
   }
  },
  "type": "object"
 },
 "SystemAuthResponse": {
  "properties": {
   "IdentityToken": {
    "type": "string"
   },
   "Status": {
    "type": "string"
   }
  },
  "required": [
   "Status"
  ],
  "type": "object"
 },
 "SystemDataUsageResponse": {
  "properties": {
   "BuildCache": {
    "items": {
     "ref": "BuildCache"
    },
    "type": "array"
   },
   "Containers": {
    "items": {
     "ref": "ContainerSummary"
    },
    "type": "array"
   },
   "Images": {
    "items": {
     "ref": "ImageSummary"
    },
    "type": "array"
   },
   "LayersSize": {
    "type": "integer"
   },
   "Volumes": {
    "items": {
     "ref": "Volume"
    },
    "type": "array"
   }
  },
  "type": "object"
 },
 "SystemInfo": {
  "properties": {
   "Architecture": {
    "type": "string"
   },
   "BridgeNfIp6tables": {
    "type": "boolean"
   },
   "BridgeNfIptables": {
    "type": "boolean"
   },
   "CDISpecDirs": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "CPUSet": {
    "type": "boolean"
   },
   "CPUShares": {
    "type": "boolean"
   },
   "CgroupDriver": {
    "enum": [
     "cgroupfs",
     "systemd",
     "none"
    ],
    "type": "string"
   },
   "CgroupVersion": {
    "enum": [
     "1",
     "2"
    ],
    "type": "string"
   },
   "Containerd": {
    "ref": "ContainerdInfo"
   },
   "ContainerdCommit": {
    "ref": "Commit"
   },
   "Containers": {
    "type": "integer"
   },
   "ContainersPaused": {
    "type": "integer"
   },
   "ContainersRunning": {
    "type": "integer"
   },
   "ContainersStopped": {
    "type": "integer"
   },
   "CpuCfsPeriod": {
    "type": "boolean"
   },
   "CpuCfsQuota": {
    "type": "boolean"
   },
   "Debug": {
    "type": "boolean"
   },
   "DefaultAddressPools": {
    "items": {
     "properties": {
      "Base": {
       "type": "string"
      },
      "Size": {
       "type": "integer"
      }
     },
     "type": "object"
    },
    "type": "array"
   },
   "DefaultRuntime": {
    "type": "string"
   },
   "DiscoveredDevices": {
    "items": {
     "ref": "DeviceInfo"
    },
    "type": "array"
   },
   "DockerRootDir": {
    "type": "string"
   },
   "Driver": {
    "type": "string"
   },
   "DriverStatus": {
    "items": {
     "items": {
      "type": "string"
     },
     "type": "array"
    },
    "type": "array"
   },
   "ExperimentalBuild": {
    "type": "boolean"
   },
   "FirewallBackend": {
    "ref": "FirewallInfo"
   },
   "GenericResources": {
    "ref": "GenericResources"
   },
   "HttpProxy": {
    "type": "string"
   },
   "HttpsProxy": {
    "type": "string"
   },
   "ID": {
    "type": "string"
   },
   "IPv4Forwarding": {
    "type": "boolean"
   },
   "Images": {
    "type": "integer"
   },
   "IndexServerAddress": {
    "type": "string"
   },
   "InitBinary": {
    "type": "string"
   },
   "InitCommit": {
    "ref": "Commit"
   },
   "Isolation": {
    "enum": [
     "default",
     "hyperv",
     "process",
     ""
    ],
    "type": "string"
   },
   "KernelMemoryTCP": {
    "type": "boolean"
   },
   "KernelVersion": {
    "type": "string"
   },
   "Labels": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "LiveRestoreEnabled": {
    "type": "boolean"
   },
   "LoggingDriver": {
    "type": "string"
   },
   "MemTotal": {
    "type": "integer"
   },
   "MemoryLimit": {
    "type": "boolean"
   },
   "NCPU": {
    "type": "integer"
   },
   "NEventsListener": {
    "type": "integer"
   },
   "NFd": {
    "type": "integer"
   },
   "NGoroutines": {
    "type": "integer"
   },
   "Name": {
    "type": "string"
   },
   "NoProxy": {
    "type": "string"
   },
   "OSType": {
    "type": "string"
   },
   "OSVersion": {
    "type": "string"
   },
   "OomKillDisable": {
    "type": "boolean"
   },
   "OperatingSystem": {
    "type": "string"
   },
   "PidsLimit": {
    "type": "boolean"
   },
   "Plugins": {
    "ref": "PluginsInfo"
   },
   "ProductLicense": {
    "type": "string"
   },
   "RegistryConfig": {
    "ref": "RegistryServiceConfig"
   },
   "RuncCommit": {
    "ref": "Commit"
   },
   "Runtimes": {
    "additionalProperties": {
     "ref": "Runtime"
    },
    "type": "object"
   },
   "SecurityOptions": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "ServerVersion": {
    "type": "string"
   },
   "SwapLimit": {
    "type": "boolean"
   },
   "Swarm": {
    "ref": "SwarmInfo"
   },
   "SystemTime": {
    "type": "string"
   },
   "Warnings": {
    "items": {
     "type": "string"
    },
    "type": "array"
   }
  },
  "type": "object"
 },
 "SystemVersion": {
  "properties": {
   "ApiVersion": {
    "type": "string"
   },
   "Arch": {
    "type": "string"
   },
   "BuildTime": {
    "type": "string"
   },
   "Components": {
    "items": {
     "properties": {
      "Details": {
       "nullable": true,
       "type": "object"
      },
      "Name": {
       "type": "string"
      },
      "Version": {
       "type": "string"
      }
     },
     "required": [
      "Name",
      "Version"
     ],
     "type": "object"
    },
    "type": "array"
   },
   "Experimental": {
    "type": "boolean"
   },
   "GitCommit": {
    "type": "string"
   },
   "GoVersion": {
    "type": "string"
   },
   "KernelVersion": {
    "type": "string"
   },
   "MinAPIVersion": {
    "type": "string"
   },
   "Os": {
    "type": "string"
   },
   "Platform": {
    "properties": {
     "Name": {
      "type": "string"
     }
    },
    "required": [
     "Name"
    ],
    "type": "object"
   },
   "Version": {
    "type": "string"
   }
  },
  "type": "object"
 },
 "TLSInfo": {
  "properties": {
   "CertIssuerPublicKey": {
    "type": "string"
   },
   "CertIssuerSubject": {
    "type": "string"
   },
   "TrustRoot": {
    "type": "string"
   }
  },
  "type": "object"
 },
 "ThrottleDevice": {
  "properties": {
   "Path": {
    "type": "string"
   },
   "Rate": {
    "type": "integer"
   }
  },
  "type": "object"
 },
 "Topology": {
  "additionalProperties": {
   "type": "string"
  },
  "type": "object"
 },
 "Volume": {
  "properties": {
   "ClusterVolume": {
    "ref": "ClusterVolume"
   },
   "CreatedAt": {
    "type": "string"
   },
   "Driver": {
    "type": "string"
   },
   "Labels": {
    "additionalProperties": {
     "type": "string"
    },
    "type": "object"
   },
   "Mountpoint": {
    "type": "string"
   },
   "Name": {
    "type": "string"
   },
   "Options": {
    "additionalProperties": {
     "type": "string"
    },
    "type": "object"
   },
   "Scope": {
    "enum": [
     "local",
     "global"
    ],
    "type": "string"
   },
   "Status": {
    "additionalProperties": {
     "type": "object"
    },
    "type": "object"
   },
   "UsageData": {
    "nullable": true,
    "properties": {
     "RefCount": {
      "type": "integer"
     },
     "Size": {
      "type": "integer"
     }
    },
    "required": [
     "Size",
     "RefCount"
    ],
    "type": "object"
   }
  },
  "required": [
   "Name",
   "Driver",
   "Mountpoint",
   "Labels",
   "Scope",
   "Options"
  ],
  "type": "object"
 },
 "VolumeCreateOptions": {
  "properties": {
   "ClusterVolumeSpec": {
    "ref": "ClusterVolumeSpec"
   },
   "Driver": {
    "type": "string"
   },
   "DriverOpts": {
    "additionalProperties": {
     "type": "string"
    },
    "type": "object"
   },
   "Labels": {
    "additionalProperties": {
     "type": "string"
    },
    "type": "object"
   },
   "Name": {
    "type": "string"
   }
  },
  "type": "object"
 },
 "VolumeListResponse": {
  "properties": {
   "Volumes": {
    "items": {
     "ref": "Volume"
    },
    "type": "array"
   },
   "Warnings": {
    "items": {
     "type": "string"
    },
    "type": "array"
   }
  },
  "type": "object"
 }
};
