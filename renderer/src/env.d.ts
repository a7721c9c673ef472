// Lets plain `tsc` (the root tsconfig) accept `.vue` imports; vue-tsc sees the real components.
declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}
