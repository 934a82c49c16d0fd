// Entry point: mounts the console into #app.
import { render } from 'preact';
import { html } from './html.js';
import { App } from './app.js';
import './style.css';

render(html`<${App} />`, document.getElementById('app'));
