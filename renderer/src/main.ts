import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { z } from 'zod';
import './styles.css';

// zod compiles fast parsers with `new Function`, which the page's CSP refuses (no 'unsafe-eval');
// jitless mode skips the attempt and the console error it would log.
z.config({ jitless: true });

createApp(App).use(createPinia()).mount('#app');
