import './components/shell/wh-app.js';
