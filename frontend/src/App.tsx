import { Navigate, NavLink, Route, Routes, useLocation } from 'react-router-dom';
import { useAuth } from './auth';
import { SignIn } from './pages/SignIn';
import { Jobs } from './pages/Jobs';
import { LaunchJob } from './pages/LaunchJob';
import { JobDetail } from './pages/JobDetail';
import { Compare } from './pages/Compare';
import { Models } from './pages/Models';
import { Datasets } from './pages/Datasets';
import { RewardSpecs } from './pages/RewardSpecs';
import { Playground } from './pages/Playground';
import { Workers } from './pages/Workers';
import { Evaluations, SuiteDetail } from './pages/Evaluations';
import { EvaluationDetail } from './pages/EvaluationDetail';
import { Team } from './pages/Team';

const NAV = [
  ['/jobs', 'Jobs'],
  ['/jobs/new', 'Launch job'],
  ['/models', 'Models'],
  ['/datasets', 'Datasets'],
  ['/reward-specs', 'Reward specs'],
  ['/evaluations', 'Evaluations'],
  ['/playground', 'Playground'],
  ['/team', 'Team'],
] as const;
/** Pages of the admin key alone (the API answers a team key 403 there). */
const ADMIN_NAV = [['/workers', 'Workers']] as const;

export function App() {
  const auth = useAuth();
  const location = useLocation();
  if (!auth.signedIn) {
    return (
      <Routes>
        <Route path="/signin" element={<SignIn />} />
        <Route path="*" element={<Navigate to="/signin" replace state={{ from: location.pathname + location.search }} />} />
      </Routes>
    );
  }
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Tropism</span>
        <nav aria-label="Main">
          {[...NAV, ...(auth.admin ? ADMIN_NAV : [])].map(([to, label]) => (
            // Evaluations stays current on its tabs and detail pages
            <NavLink key={to} to={to} end={to !== '/evaluations'}>
              {label}
            </NavLink>
          ))}
        </nav>
        {auth.admin && (
          <span className="who" title="The admin key, acting for this team">
            admin · <code>{auth.team}</code>
          </span>
        )}
        <button type="button" className="secondary" onClick={auth.signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Routes>
          <Route path="/" element={<Navigate to="/jobs" replace />} />
          <Route path="/signin" element={<Navigate to="/jobs" replace />} />
          <Route path="/jobs" element={<Jobs />} />
          <Route path="/jobs/new" element={<LaunchJob />} />
          <Route path="/jobs/:id" element={<JobDetail />} />
          <Route path="/compare" element={<Compare />} />
          <Route path="/models" element={<Models />} />
          <Route path="/datasets" element={<Datasets />} />
          <Route path="/reward-specs" element={<RewardSpecs />} />
          <Route path="/evaluations" element={<Evaluations tab="runs" />} />
          <Route path="/evaluations/suites" element={<Evaluations tab="suites" />} />
          <Route path="/evaluations/aliases" element={<Evaluations tab="aliases" />} />
          <Route path="/evaluations/suites/:id" element={<SuiteDetail />} />
          <Route path="/evaluations/:id" element={<EvaluationDetail />} />
          <Route path="/playground" element={<Playground />} />
          <Route path="/team" element={<Team />} />
          {auth.admin && <Route path="/workers" element={<Workers />} />}
          <Route path="*" element={<p>No such page. <NavLink to="/jobs">Back to jobs</NavLink></p>} />
        </Routes>
      </main>
    </div>
  );
}
