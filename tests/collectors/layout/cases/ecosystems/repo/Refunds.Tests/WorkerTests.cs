public class WorkerTests { }
