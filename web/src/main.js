// Entry point: mounts the console into #app.
import { render } from 'preact';
import { html } from './html.js';
import { App } from './app.js';
// uPlot's own rules first, so style.css can adjust the results chart
import 'uplot/dist/uPlot.min.css';
import './style.css';

render(html`<${App} />`, document.getElementById('app'));
