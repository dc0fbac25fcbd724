// A transport for a profile: this machine, or SSH to its submit host.
import type { ClusterProfile } from '../common/cluster-profile';
import { LocalTransport } from './local-transport';
import { SshTransport } from './ssh-transport';
import type { ClusterTransport } from './transport';

export async function connectProfile(profile: ClusterProfile): Promise<ClusterTransport> {
  return profile.submit.kind === 'local' ? new LocalTransport(profile) : SshTransport.connect(profile);
}
