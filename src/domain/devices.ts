/** Devices: identity, capabilities, the registration number table of seed 004, presence as last stored. */
/** Seed 004's registration number table: who the device belongs to and whom to call. */
export interface DeviceRegistry {
  registrationNumber: string | null;
  installationPlace: string | null;
  installer: string | null;
  contact: string | null;
  contactEmail: string | null;
  /** May report with its registration number alone (seed 004 CGI form), without its token. */
  legacyAuth: boolean;
}

export const EMPTY_REGISTRY: DeviceRegistry = {
  registrationNumber: null,
  installationPlace: null,
  installer: null,
  contact: null,
  contactEmail: null,
  legacyAuth: false,
};

/** Tags: at most 16 a device, each 1–32 letters, digits, '.', '_', ':' or '-' starting with a letter or digit. */
export const TAG_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,31}$';
export const MAX_TAGS = 16;

export interface Device {
  id: string;
  accountId: string;
  serial: string;
  model: string;
  capabilities: Record<string, unknown>;
  registry: DeviceRegistry;
  /** An operator's labels (floor-3, lease-2027, …), filterable everywhere. */
  tags: string[];
  /** Program version the device last said it runs (in its update check, seed 004 state 6). */
  firmwareVersion: string | null;
  /** A version an operator assigned it: offered over the rollout, when newer than what it runs. */
  firmwareTarget: string | null;
  online: boolean;
  lastSeenAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** Orders of the device list: ID, serial, model (then serial), last contact (never first, then the longest ago). */
export const DEVICE_SORTS = ['id', 'serial', 'model', 'seen'] as const;
export type DeviceSort = (typeof DEVICE_SORTS)[number];
