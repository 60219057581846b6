public class Worker { }
