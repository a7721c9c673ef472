/**
 * The state of the link to the host, for the banner and for stores that must reload what they
 * missed: `generation` grows on every (re)connection after the first.
 */
import { defineStore } from 'pinia';
import { onScopeDispose, ref } from 'vue';
import { getWorkbenchConnection, type ConnectionStatus } from '../api';

export const useConnectionStore = defineStore('connection', () => {
  const connection = getWorkbenchConnection();
  const status = ref<ConnectionStatus>(connection.status);
  const generation = ref(0);
  let wasDisconnected = false;

  const unsubscribe = connection.onChange((next) => {
    if (next.state === 'disconnected') wasDisconnected = true;
    if (next.state === 'connected' && wasDisconnected) {
      wasDisconnected = false;
      generation.value += 1;
    }
    status.value = next;
  });
  onScopeDispose(unsubscribe);

  return { status, generation };
});
