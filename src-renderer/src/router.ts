// Hash history: the desktop app loads index.html from file://, where path routing cannot work.
import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';
import RunsView from './views/RunsView.vue';
import NewRunView from './views/NewRunView.vue';
import CompareView from './views/CompareView.vue';
import FiguresView from './views/FiguresView.vue';
import RunDetailView from './views/RunDetailView.vue';
import OverlayView from './views/OverlayView.vue';
import ClusterView from './views/ClusterView.vue';

export const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/runs' },
  { path: '/runs', name: 'runs', component: RunsView, meta: { title: 'Runs' } },
  { path: '/runs/:id(\\d+)', name: 'run', component: RunDetailView, meta: { title: 'Run' } },
  { path: '/overlay', name: 'overlay', component: OverlayView, meta: { title: 'Overlay' } },
  { path: '/new', name: 'new-run', component: NewRunView, meta: { title: 'New run' } },
  { path: '/compare', name: 'compare', component: CompareView, meta: { title: 'Compare' } },
  { path: '/figures', name: 'figures', component: FiguresView, meta: { title: 'Figures' } },
  { path: '/cluster', name: 'cluster', component: ClusterView, meta: { title: 'Cluster' } },
  { path: '/:pathMatch(.*)*', redirect: '/runs' },
];

export const router = createRouter({ history: createWebHashHistory(), routes });

router.afterEach((to) => {
  document.title = `${String(to.meta.title ?? 'Workbench')} · Encoder Workbench`;
});
