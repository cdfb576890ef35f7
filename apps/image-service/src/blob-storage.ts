import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';

/** Where photos and preview videos live. Keys are relative paths such as `photos/<user>/<id>.jpg`. */
export interface BlobStorage {
  put(key: string, bytes: Buffer, contentType: string): Promise<void>;
  /** The bytes, or null when there is no such blob. */
  get(key: string): Promise<{ bytes: Buffer; contentType: string } | null>;
  /** Deletes a blob; deleting a missing blob is not an error. */
  delete(key: string): Promise<void>;
  /** The stable public URL of a blob (photos are never linked publicly; previews are). */
  publicUrl(key: string): Promise<string>;
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

export function assertBlobKey(key: string): void {
  if (!KEY.test(key) || key.includes('..')) throw new Error(`invalid blob key: ${key}`);
}

const TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  heic: 'image/heic',
  mp4: 'video/mp4',
};

export function contentTypeOf(key: string): string {
  const ext = key.slice(key.lastIndexOf('.') + 1).toLowerCase();
  return TYPES[ext] ?? 'application/octet-stream';
}

export function extensionOf(mimeType: string): string {
  const found = Object.entries(TYPES).find(([, type]) => type === mimeType);
  return found?.[0] ?? 'bin';
}

/** Files under a directory; served by the image service itself at `<publicBaseUrl>/<key>` (GET /media/*). */
export class LocalBlobStorage implements BlobStorage {
  private readonly root: string;

  constructor(
    directory: string,
    private readonly publicBaseUrl: string | undefined,
  ) {
    this.root = resolve(directory);
  }

  private path(key: string): string {
    assertBlobKey(key);
    const path = resolve(join(this.root, key));
    if (!path.startsWith(this.root + sep)) throw new Error(`invalid blob key: ${key}`);
    return path;
  }

  async put(key: string, bytes: Buffer, _contentType?: string): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${randomUUID()}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  }

  async get(key: string): Promise<{ bytes: Buffer; contentType: string } | null> {
    try {
      return { bytes: await readFile(this.path(key)), contentType: contentTypeOf(key) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async publicUrl(key: string): Promise<string> {
    assertBlobKey(key);
    if (!this.publicBaseUrl)
      throw new Error('no public URL for stored media: set PUBLIC_BASE_URL or BLOB_PUBLIC_BASE_URL');
    return `${this.publicBaseUrl.replace(/\/$/, '')}/${key}`;
  }
}

/**
 * Azure Blob Storage (production; Azurite locally). Blobs are written with their content type and cache headers.
 * The SDK (some 250 modules) is imported on first use, so a service on local storage never loads it and
 * one on Azure does not load it before it is ready.
 */
export class AzureBlobStorage implements BlobStorage {
  private client: Promise<ContainerClient> | undefined;
  private ensured: Promise<unknown> | undefined;

  constructor(
    private readonly connectionString: string,
    private readonly containerName: string,
    private readonly publicBaseUrl?: string,
  ) {}

  private container(): Promise<ContainerClient> {
    this.client ??= import('@azure/storage-blob').then(({ BlobServiceClient }) =>
      BlobServiceClient.fromConnectionString(this.connectionString).getContainerClient(this.containerName),
    );
    return this.client;
  }

  private ensureContainer(): Promise<unknown> {
    this.ensured ??= this.container()
      .then((container) => container.createIfNotExists())
      .catch((error: unknown) => {
        this.ensured = undefined;
        throw error;
      });
    return this.ensured;
  }

  async put(key: string, bytes: Buffer, contentType: string): Promise<void> {
    assertBlobKey(key);
    await this.ensureContainer();
    await (await this.container()).getBlockBlobClient(key).uploadData(bytes, {
      blobHTTPHeaders: {
        blobContentType: contentType,
        blobCacheControl: key.startsWith('previews/') ? 'public, max-age=300' : 'private, no-store',
      },
    });
  }

  async get(key: string): Promise<{ bytes: Buffer; contentType: string } | null> {
    assertBlobKey(key);
    const blob = (await this.container()).getBlockBlobClient(key);
    try {
      const bytes = await blob.downloadToBuffer();
      const properties = await blob.getProperties();
      return { bytes, contentType: properties.contentType ?? contentTypeOf(key) };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertBlobKey(key);
    await (await this.container()).getBlockBlobClient(key).deleteIfExists();
  }

  async publicUrl(key: string): Promise<string> {
    assertBlobKey(key);
    const base = this.publicBaseUrl ?? (await this.container()).url;
    return `${base.replace(/\/$/, '')}/${key}`;
  }
}

export function createBlobStorage(config: {
  BLOB_STORAGE: 'local' | 'azure';
  BLOB_LOCAL_DIR: string;
  BLOB_PUBLIC_BASE_URL?: string | undefined;
  /** Only for the public URLs of stored files; a process that only deletes blobs may leave it out. */
  PUBLIC_BASE_URL?: string | undefined;
  AZURE_STORAGE_CONNECTION_STRING?: string | undefined;
  AZURE_STORAGE_CONTAINER: string;
}): BlobStorage {
  if (config.BLOB_STORAGE === 'azure') {
    if (!config.AZURE_STORAGE_CONNECTION_STRING) throw new Error('AZURE_STORAGE_CONNECTION_STRING is required');
    return new AzureBlobStorage(
      config.AZURE_STORAGE_CONNECTION_STRING,
      config.AZURE_STORAGE_CONTAINER,
      config.BLOB_PUBLIC_BASE_URL,
    );
  }
  const base =
    config.BLOB_PUBLIC_BASE_URL ??
    (config.PUBLIC_BASE_URL ? `${config.PUBLIC_BASE_URL.replace(/\/$/, '')}/media` : undefined);
  return new LocalBlobStorage(config.BLOB_LOCAL_DIR, base);
}
