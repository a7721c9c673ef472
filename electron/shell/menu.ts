/**
 * The application menu. Items whose action belongs to the renderer (New run, Export report,
 * Compare) are sent to it as a `workbench:menu` command; the shell's own (Open runs folder, About,
 * Toggle DevTools) run in main. Built by a pure function so the test can check, for instance, that
 * DevTools are offered only in development.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from '../../core/contract/desktopChannels';

export interface MenuActions {
  /** Forward a renderer-handled command to the window. */
  send(command: MenuCommand): void;
  openRunsFolder(): void;
  showAbout(): void;
}

export interface MenuOptions {
  appName: string;
  platform: NodeJS.Platform;
  /** Development build (not packaged): adds Reload and Toggle DevTools. */
  development: boolean;
  actions: MenuActions;
}

export function buildMenuTemplate({
  appName,
  platform,
  development,
  actions,
}: MenuOptions): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const about: MenuItemConstructorOptions = { label: `About ${appName}`, click: () => actions.showAbout() };

  const file: MenuItemConstructorOptions = {
    label: '&File',
    submenu: [
      { label: 'New Run…', accelerator: 'CmdOrCtrl+N', click: () => actions.send('new-run') },
      { label: 'Export Report…', accelerator: 'CmdOrCtrl+E', click: () => actions.send('export-report') },
      { type: 'separator' },
      { label: 'Open Runs Folder', click: () => actions.openRunsFolder() },
      ...(mac ? [] : ([{ type: 'separator' }, { role: 'quit' }] as MenuItemConstructorOptions[])),
    ],
  };
  const view: MenuItemConstructorOptions = {
    label: '&View',
    submenu: [
      { label: 'Compare Runs', accelerator: 'CmdOrCtrl+K', click: () => actions.send('compare') },
      { type: 'separator' },
      // Reload and DevTools are for whoever develops the app: in a packaged build a reload would drop
      // the live view for nothing, and DevTools are disabled in its webPreferences anyway.
      ...(development
        ? ([{ role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' }] as MenuItemConstructorOptions[])
        : []),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };
  const edit: MenuItemConstructorOptions = { role: 'editMenu' };
  const windowMenu: MenuItemConstructorOptions = { role: 'windowMenu' };
  const help: MenuItemConstructorOptions = { role: 'help', submenu: mac ? [] : [about] };

  if (mac) {
    // macOS puts About and Quit in the menu named after the app.
    const appMenu: MenuItemConstructorOptions = {
      label: appName,
      submenu: [
        about,
        { type: 'separator' },
        { role: 'services' },
        { type: 'separator' },
        { role: 'hide' },
        { role: 'hideOthers' },
        { role: 'unhide' },
        { type: 'separator' },
        { role: 'quit' },
      ],
    };
    return [appMenu, file, edit, view, windowMenu];
  }
  return [file, edit, view, windowMenu, help];
}
