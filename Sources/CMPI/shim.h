// Open MPI's C API (Debian: libopenmpi-dev), for the MPI trait only.
//
// mpi.h names its communicators, datatypes and operations with macros that expand to the
// addresses of library globals (`MPI_COMM_WORLD` is `((MPI_Comm)&ompi_mpi_comm_world)`), which
// Swift does not import. These inline functions hand Swift the values the macros stand for.
#include <mpi.h>

static inline MPI_Comm glassbox_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm glassbox_mpi_comm_null(void) { return MPI_COMM_NULL; }
static inline MPI_Datatype glassbox_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype glassbox_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype glassbox_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype glassbox_mpi_int(void) { return MPI_INT; }
static inline MPI_Datatype glassbox_mpi_long_long(void) { return MPI_LONG_LONG; }
static inline MPI_Op glassbox_mpi_sum(void) { return MPI_SUM; }
static inline void *glassbox_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Info glassbox_mpi_info_null(void) { return MPI_INFO_NULL; }
static inline int glassbox_mpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }
static inline int glassbox_mpi_success(void) { return MPI_SUCCESS; }
static inline int glassbox_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
