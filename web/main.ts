import './components/wh-app.js';
