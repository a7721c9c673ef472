/**
 * The sentence a view shows for something that was thrown. The host names the API call that
 * failed at the front of its message (`evaluateShift: …`), which helps a log but not a user: a
 * WorkbenchApiError that starts with its own method's name is shown without it.
 */
import { WorkbenchApiError } from '../../../core/contract/workbenchApi';

export function messageOf(caught: unknown): string {
  if (!(caught instanceof Error)) return String(caught);
  const prefix = caught instanceof WorkbenchApiError && caught.method ? `${caught.method}: ` : null;
  return prefix && caught.message.startsWith(prefix) ? caught.message.slice(prefix.length) : caught.message;
}
