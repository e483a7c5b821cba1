/** Paths of the device endpoints that the relay announces and the device SDK calls. */
export const DEVICE_HTTP = '/device/v1';

/** Where a printer fetches a job's ticket (and, below it, its document and state): the href of a job notice. */
export const jobHref = (jobId: string): string => `${DEVICE_HTTP}/jobs/${jobId}`;
