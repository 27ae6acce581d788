import { registerSW } from 'virtual:pwa-register';

const status = document.getElementById('status');
registerSW({
  onOfflineReady() {
    if (status) status.textContent = 'Ready to work offline.';
  },
  onRegisterError() {
    if (status) status.textContent = 'Offline mode is not available in this browser.';
  },
});
if (status) status.textContent = 'The app is being built. Check back soon.';
