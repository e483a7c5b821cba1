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

export interface Device {
  id: string;
  accountId: string;
  serial: string;
  model: string;
  capabilities: Record<string, unknown>;
  registry: DeviceRegistry;
  /** Program version the device last said it runs (in its update check, seed 004 state 6). */
  firmwareVersion: string | null;
  online: boolean;
  lastSeenAt: number | null;
  createdAt: number;
  updatedAt: number;
}
