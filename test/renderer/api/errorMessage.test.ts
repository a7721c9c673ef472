/**
 * What a view shows for a failed call: the host's sentence without the API method's name the host
 * puts in front of it, and anything else unchanged.
 */
import { describe, expect, it } from 'vitest';
import { WorkbenchApiError } from '../../../core/contract/workbenchApi';
import { messageOf } from '../../../renderer/src/api/errorMessage';

describe('messageOf', () => {
  it("drops the failed method's name from the front of the host's message", () => {
    const error = new WorkbenchApiError('evaluateShift: this run has no checkpoint to evaluate.', 'evaluateShift');
    expect(messageOf(error)).toBe('this run has no checkpoint to evaluate.');
  });

  it('keeps a message that does not start with its method, other errors and thrown values as they are', () => {
    expect(messageOf(new WorkbenchApiError('The connection to the workbench was lost.', 'startRun'))).toBe(
      'The connection to the workbench was lost.',
    );
    expect(messageOf(new WorkbenchApiError('getRun: no such run.'))).toBe('getRun: no such run.');
    expect(messageOf(new Error('startRun: plain error'))).toBe('startRun: plain error');
    expect(messageOf('a string')).toBe('a string');
  });
});
