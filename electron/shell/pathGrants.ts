/**
 * The host paths the Electron window may have read: files its user dropped on the window or picked
 * (the file input, or the Open dialog) since the app started. A path is a capability here, not a
 * string anyone can type: the renderer names a path only through the preload's `pathForFile`,
 * which asks Electron (webUtils.getPathForFile) for the path of a File object the page got from a
 * drop or a picker — a File the page made itself has no path — and grants it before returning.
 * Everything else — a typo, a probe of /etc, a path from a compromised page — is refused with one
 * message that says nothing about whether the file exists.
 */
import path from 'node:path';

/** Enough for any session's drops; the oldest grants go first beyond it. */
export const MAX_PATH_GRANTS = 10_000;

export class PathGrants {
  private readonly granted = new Set<string>();

  /** Grants an absolute path (a relative one means nothing to a drop and is ignored); returns whether it was. */
  grant(file: string): boolean {
    if (!path.isAbsolute(file) || file.includes('\0')) return false;
    const normal = path.normalize(file);
    this.granted.delete(normal);
    this.granted.add(normal);
    for (const oldest of this.granted) {
      if (this.granted.size <= MAX_PATH_GRANTS) break;
      this.granted.delete(oldest);
    }
    return true;
  }

  /** Exactly a granted path (normalised): a granted file does not open its folder or its neighbours. */
  has(file: string): boolean {
    return path.isAbsolute(file) && this.granted.has(path.normalize(file));
  }

  get size(): number {
    return this.granted.size;
  }
}
