import { render } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { AuthProvider } from './auth';
import { App } from './App';
import { storeKey } from './api';

/** The whole app at `path`, signed in with a team key. */
export function appAt(path: string, key = 'tro_k') {
  storeKey(key);
  return render(
    <AuthProvider>
      <MemoryRouter initialEntries={[path]}>
        <App />
      </MemoryRouter>
    </AuthProvider>,
  );
}
