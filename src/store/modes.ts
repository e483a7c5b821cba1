/**
 * The store holds webhook secrets, token hashes and print documents, so every file the relay or
 * the CLI writes in the data directory is the owner's alone: files 0600, folders 0700.
 */
export const PRIVATE_FILE = 0o600;
export const PRIVATE_DIR = 0o700;
