/**
 * Files dropped anywhere on the window, or pasted: calls `onFiles` with them, and says while files
 * are being dragged over the window (for a drop overlay). The listeners go when the component does.
 * Dragging is counted with enter/leave pairs because every child element fires its own.
 */
import { onBeforeUnmount, onMounted, ref } from 'vue';

function carriesFiles(event: DragEvent): boolean {
  return Array.from(event.dataTransfer?.types ?? []).includes('Files');
}

export function useWindowImageDrop(onFiles: (files: File[]) => void) {
  const dragging = ref(false);
  let depth = 0;

  const enter = (event: DragEvent) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    depth += 1;
    dragging.value = true;
  };
  const over = (event: DragEvent) => {
    if (!carriesFiles(event)) return;
    // Without this the browser opens the file instead of dropping it here.
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
  };
  const leave = (event: DragEvent) => {
    if (!carriesFiles(event)) return;
    depth = Math.max(0, depth - 1);
    if (depth === 0) dragging.value = false;
  };
  const drop = (event: DragEvent) => {
    const files = Array.from(event.dataTransfer?.files ?? []);
    depth = 0;
    dragging.value = false;
    if (files.length === 0) return;
    event.preventDefault();
    onFiles(files);
  };
  const paste = (event: ClipboardEvent) => {
    // A paste into a text field is text for that field.
    const target = event.target as HTMLElement | null;
    if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.isContentEditable)) return;
    const files = Array.from(event.clipboardData?.files ?? []).filter((file) => file.type.startsWith('image/'));
    if (files.length === 0) return;
    event.preventDefault();
    onFiles(files);
  };

  onMounted(() => {
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragover', over);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    window.addEventListener('paste', paste);
  });
  onBeforeUnmount(() => {
    window.removeEventListener('dragenter', enter);
    window.removeEventListener('dragover', over);
    window.removeEventListener('dragleave', leave);
    window.removeEventListener('drop', drop);
    window.removeEventListener('paste', paste);
  });
  return { dragging };
}
