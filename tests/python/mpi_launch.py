"""How the MPI tests start Open MPI: quietly, in a container, on one machine."""
import os


def mpi_env(**extra):
    env = dict(os.environ)
    # Open MPI in a container, quietly: allowed as root (CI runs as root), shared memory only, no
    # single-copy mechanism (needs ptrace rights containers often lack), no UCX (its device probing
    # costs about a second at start-up and there is no network to use), no binding to cores.
    env.update({"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                "OMPI_MCA_btl": "self,vader", "OMPI_MCA_btl_vader_single_copy_mechanism": "none",
                "OMPI_MCA_pml": "ob1", "OMPI_MCA_osc": "^ucx",
                "OMPI_MCA_rmaps_base_oversubscribe": "1", "OMPI_MCA_hwloc_base_binding_policy": "none"})
    env.update(extra)
    return env


def mpirun(mpiexec, n):
    return [mpiexec, "-np", str(n), "--oversubscribe"]
