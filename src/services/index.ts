import { AccountService } from './identity/accounts.js';
import { BillingService } from './management/billing.js';
import { CodeService } from './management/codes.js';
import { FirmwareService } from './management/firmware.js';
import { FaxUserService } from './fax/users.js';
import { AuthService } from './identity/auth.js';
import type { ServiceContext } from './kernel/context.js';
import { DeviceService } from './identity/devices.js';
import { RegistrationService } from './identity/registration.js';

export interface Services {
  ctx: ServiceContext;
  accounts: AccountService;
  auth: AuthService;
  devices: DeviceService;
  registration: RegistrationService;
  billing: BillingService;
  codes: CodeService;
  firmware: FirmwareService;
  faxUsers: FaxUserService;
}

export function createServices(ctx: ServiceContext, o: { registrationTtlMs: number; timeZone?: string }): Services {
  const accounts = new AccountService(ctx);
  const devices = new DeviceService(ctx, accounts);
  return {
    ctx,
    accounts,
    auth: new AuthService(ctx),
    devices,
    registration: new RegistrationService(ctx, accounts, devices, o.registrationTtlMs),
    billing: new BillingService(ctx, devices, o.timeZone ?? 'UTC'),
    codes: new CodeService(ctx),
    firmware: new FirmwareService(ctx),
    faxUsers: new FaxUserService(ctx, accounts),
  };
}
